//! The SQLite file reader: the schema table, and any table it names.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shipshape::fuzzing::SqliteDatabase;

fuzz_target!(|data: &[u8]| {
    let Ok(database) = SqliteDatabase::open(data) else { return };
    for table in ["Packages", "Basenames", "t"] {
        let _ = database.table(table);
    }
});

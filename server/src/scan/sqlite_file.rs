//! Just enough of the SQLite file format to read one table's rows from a database held in
//! memory (rpm's `rpmdb.sqlite`): table b-trees, records and overflow pages. Read-only and
//! defensive: every page number, offset and length is checked, and a cycle or a runaway tree
//! ends the read instead of the scan.

/// One column value; only what rpm's tables hold is distinguished.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Null,
    Integer(i64),
    Text(Vec<u8>),
    Blob(Vec<u8>),
    /// A float: rpm's tables have none.
    Other,
}

pub struct Database<'a> {
    data: &'a [u8],
    page_size: usize,
    usable: usize,
    /// Payload bytes still allowed: in a well-formed file no byte belongs to two records, so
    /// cells that share bytes or an overflow chain run out of it, and a read stays linear.
    unread: std::cell::Cell<usize>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Corrupt;

const MAX_DEPTH: usize = 32;

impl<'a> Database<'a> {
    pub fn open(data: &'a [u8]) -> Result<Self, Corrupt> {
        if data.len() < 100 || !data.starts_with(b"SQLite format 3\0") {
            return Err(Corrupt);
        }
        let page_size = match u16::from_be_bytes([data[16], data[17]]) {
            1 => 65536,
            n if n >= 512 && n.is_power_of_two() => usize::from(n),
            _ => return Err(Corrupt),
        };
        let usable = page_size.checked_sub(usize::from(data[20])).filter(|&u| u >= 480).ok_or(Corrupt)?;
        Ok(Self { data, page_size, usable, unread: std::cell::Cell::new(data.len()) })
    }

    /// Every row of the named table, as its column values (rowid aliases read as NULL, as stored).
    pub fn table(&self, name: &str) -> Result<Vec<Vec<Value>>, Corrupt> {
        let mut root = None;
        for row in self.rows(1)? {
            if row.first() == Some(&Value::Text(b"table".to_vec()))
                && row.get(1) == Some(&Value::Text(name.as_bytes().to_vec()))
            {
                if let Some(Value::Integer(page)) = row.get(3) {
                    root = Some(usize::try_from(*page).map_err(|_| Corrupt)?);
                }
            }
        }
        self.rows(root.ok_or(Corrupt)?)
    }

    fn page(&self, number: usize) -> Result<&'a [u8], Corrupt> {
        let start = number.checked_sub(1).ok_or(Corrupt)?.checked_mul(self.page_size).ok_or(Corrupt)?;
        self.data.get(start..start + self.page_size).ok_or(Corrupt)
    }

    fn rows(&self, root: usize) -> Result<Vec<Vec<Value>>, Corrupt> {
        let mut rows = Vec::new();
        let mut stack = vec![(root, 0usize)];
        let mut seen = std::collections::HashSet::new();
        while let Some((number, depth)) = stack.pop() {
            if depth > MAX_DEPTH || !seen.insert(number) {
                return Err(Corrupt);
            }
            let page = self.page(number)?;
            // Page 1 carries the 100-byte file header before its b-tree header.
            let header = if number == 1 { 100 } else { 0 };
            let kind = *page.get(header).ok_or(Corrupt)?;
            let cells = usize::from(u16::from_be_bytes([page[header + 3], page[header + 4]]));
            let pointers = header + if kind == 0x05 { 12 } else { 8 };
            if pointers + 2 * cells > page.len() {
                return Err(Corrupt);
            }
            for i in 0..cells {
                let at = pointers + 2 * i;
                let cell = usize::from(u16::from_be_bytes(page.get(at..at + 2).ok_or(Corrupt)?.try_into().map_err(|_| Corrupt)?));
                match kind {
                    0x05 => {
                        let child = u32::from_be_bytes(page.get(cell..cell + 4).ok_or(Corrupt)?.try_into().map_err(|_| Corrupt)?);
                        stack.push((child as usize, depth + 1));
                    }
                    0x0d => rows.push(self.leaf_cell(page, cell)?),
                    _ => return Err(Corrupt),
                }
            }
            if kind == 0x05 {
                let right = u32::from_be_bytes(page[header + 8..header + 12].try_into().map_err(|_| Corrupt)?);
                stack.push((right as usize, depth + 1));
            }
        }
        Ok(rows)
    }

    fn leaf_cell(&self, page: &[u8], cell: usize) -> Result<Vec<Value>, Corrupt> {
        let (size, used) = varint(page.get(cell..).ok_or(Corrupt)?)?;
        let (_rowid, used2) = varint(page.get(cell + used..).ok_or(Corrupt)?)?;
        let start = cell + used + used2;
        let size = usize::try_from(size).map_err(|_| Corrupt)?;
        // No record is larger than what is left of the file that holds it.
        let unread = self.unread.get().checked_sub(size.max(1)).ok_or(Corrupt)?;
        self.unread.set(unread);
        let max_local = self.usable - 35;
        if size <= max_local {
            let payload = page.get(start..start + size).ok_or(Corrupt)?;
            return record(payload);
        }
        let min_local = (self.usable - 12) * 32 / 255 - 23;
        let k = min_local + (size - min_local) % (self.usable - 4);
        let local = if k <= max_local { k } else { min_local };
        let mut payload = Vec::with_capacity(size);
        payload.extend_from_slice(page.get(start..start + local).ok_or(Corrupt)?);
        let mut next = u32::from_be_bytes(page.get(start + local..start + local + 4).ok_or(Corrupt)?.try_into().map_err(|_| Corrupt)?);
        let mut hops = 0;
        while payload.len() < size {
            hops += 1;
            if next == 0 || hops > self.data.len() / self.page_size {
                return Err(Corrupt);
            }
            let overflow = self.page(next as usize)?;
            next = u32::from_be_bytes(overflow[..4].try_into().map_err(|_| Corrupt)?);
            let take = (size - payload.len()).min(self.usable - 4);
            payload.extend_from_slice(&overflow[4..4 + take]);
        }
        record(&payload)
    }
}

fn record(payload: &[u8]) -> Result<Vec<Value>, Corrupt> {
    let (header_len, mut at) = varint(payload)?;
    let header_len = usize::try_from(header_len).map_err(|_| Corrupt)?;
    let mut body = header_len;
    let mut values = Vec::new();
    while at < header_len {
        let (serial, used) = varint(payload.get(at..header_len).ok_or(Corrupt)?)?;
        at += used;
        let (len, value): (usize, fn(&[u8]) -> Value) = match serial {
            0 => (0, |_| Value::Null),
            1..=4 => (serial as usize, |b| Value::Integer(signed(b))),
            5 => (6, |b| Value::Integer(signed(b))),
            6 => (8, |b| Value::Integer(signed(b))),
            7 => (8, |_| Value::Other),
            8 => (0, |_| Value::Integer(0)),
            9 => (0, |_| Value::Integer(1)),
            n if n >= 12 && n % 2 == 0 => (((n - 12) / 2) as usize, |b| Value::Blob(b.to_vec())),
            n if n >= 13 => (((n - 13) / 2) as usize, |b| Value::Text(b.to_vec())),
            _ => return Err(Corrupt),
        };
        let bytes = payload.get(body..body.checked_add(len).ok_or(Corrupt)?).ok_or(Corrupt)?;
        values.push(value(bytes));
        body += len;
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every single-byte corruption of a real database (rpm's, see tests/fixtures/rpm) reads as
    /// rows or as `Corrupt`, never a panic or a runaway allocation.
    #[test]
    fn corrupted_databases_never_panic() {
        let data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rpm/rpmdb.sqlite")).unwrap();
        assert_eq!(Database::open(&data).unwrap().table("Packages").unwrap().len(), 3);
        assert_eq!(Database::open(&data).unwrap().table("Nope"), Err(Corrupt));
        // The file header, the schema page and the b-tree pages' headers and cell pointers.
        let positions = (0..data.len()).filter(|i| i % 4096 < 112 || i % 1999 == 0);
        let mut bad = data.clone();
        for at in positions {
            for value in [0x00, 0xff] {
                bad[at] = value;
                if let Ok(db) = Database::open(&bad) {
                    let _ = db.table("Packages");
                }
            }
            bad[at] = data[at];
        }
    }

    /// Every cell pointer of the Packages leaf (page 2 of the fixture) aimed at one record with an
    /// overflow chain: read once per pointer, that is many times the file; refused instead.
    #[test]
    fn cells_sharing_one_record_are_corrupt_not_read_again_and_again() {
        let mut data = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rpm/rpmdb.sqlite")).unwrap();
        let page = 4096;
        assert_eq!(data[page], 0x0d, "the fixture's Packages table is one leaf page");
        let content = usize::from(u16::from_be_bytes([data[page + 5], data[page + 6]]));
        let pointers = (content - 8) / 2;
        data[page + 3..page + 5].copy_from_slice(&(pointers as u16).to_be_bytes());
        let last = [data[page + 12], data[page + 13]];
        for i in 0..pointers {
            data[page + 8 + 2 * i..page + 10 + 2 * i].copy_from_slice(&last);
        }
        assert_eq!(Database::open(&data).unwrap().table("Packages"), Err(Corrupt));
    }
}

fn signed(bytes: &[u8]) -> i64 {
    let mut v: i64 = if bytes.first().is_some_and(|b| b & 0x80 != 0) { -1 } else { 0 };
    for &b in bytes {
        v = (v << 8) | i64::from(b);
    }
    v
}

/// SQLite's big-endian varint: up to nine bytes, the ninth contributing all eight bits.
fn varint(data: &[u8]) -> Result<(u64, usize), Corrupt> {
    let mut value = 0u64;
    for (i, &b) in data.iter().take(9).enumerate() {
        if i == 8 {
            return Ok(((value << 8) | u64::from(b), 9));
        }
        value = (value << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    Err(Corrupt)
}

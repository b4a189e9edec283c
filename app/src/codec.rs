//! How a page's resources travel from the server-rendered HTML to the hydrating browser.
//!
//! The same JSON as Leptos' default `JsonSerdeCodec`, but read with `serde_json::from_slice`, the
//! reader server functions already use for their answers. Each type the browser receives then has
//! one JSON deserializer in the wasm bundle instead of two (`from_str` and `from_slice` each get
//! their own copy of every `Deserialize` impl; the second copy was 8% of the bundle). Make resources
//! with [`resource`], and decode JSON in the browser with [`from_json`].

use leptos::prelude::*;
use leptos::server::codee::{Decoder, Encoder};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub struct Json;

impl<T: Serialize> Encoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, Self::Error> {
        serde_json::to_string(value)
    }
}

impl<T: DeserializeOwned> Decoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(encoded: &str) -> Result<T, Self::Error> {
        from_json(encoded)
    }
}

/// JSON text to `T`, through the one reader the bundle carries.
pub fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, serde_json::Error> {
    serde_json::from_slice(text.as_bytes())
}

/// `Resource::new` with [`Json`].
#[track_caller]
pub fn resource<T, S, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Resource<T, Json>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    S: PartialEq + Clone + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dto::ServerStatus;

    #[test]
    fn reads_what_leptos_default_codec_writes() {
        let status = ServerStatus { version: "0.1.0".into(), database: "SQLite".into(), repositories: 1, manifests: 3 };
        let encoded = <Json as Encoder<ServerStatus>>::encode(&status).unwrap();
        assert_eq!(encoded, serde_json::to_string(&status).unwrap());
        assert_eq!(<Json as Decoder<ServerStatus>>::decode(&encoded).unwrap(), status);
        assert!(from_json::<ServerStatus>("{\"version\":").is_err());
    }
}

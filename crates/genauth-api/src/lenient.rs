//! What the generated answer types use to decode as the service sends them (the xtask's
//! post-processing, `xtask/src/postprocess.rs`): a field the documents call required that an
//! answer leaves out or sends as `null` decodes as its type's default instead of failing the
//! whole answer.

use serde::{Deserialize, Deserializer};

/// A required answer field: its value, or its type's default for `null` (and, with
/// `#[serde(default)]`, for a field left out).
pub(crate) fn or_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Answer {
        #[serde(default, deserialize_with = "super::or_default")]
        name: String,
        #[serde(default, deserialize_with = "super::or_default")]
        count: i64,
    }

    #[test]
    fn null_and_absent_are_the_default_and_a_value_is_kept() {
        let read = |s: &str| serde_json::from_str::<Answer>(s).expect("decodes");
        assert_eq!(
            read(r#"{"name": "x", "count": 2}"#),
            Answer {
                name: "x".into(),
                count: 2
            }
        );
        assert_eq!(
            read(r#"{"name": null}"#),
            Answer {
                name: String::new(),
                count: 0
            }
        );
        assert_eq!(
            read("{}"),
            Answer {
                name: String::new(),
                count: 0
            }
        );
        assert!(serde_json::from_str::<Answer>(r#"{"count": "two"}"#).is_err());
    }
}

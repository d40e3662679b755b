//! What the generated answer types use to decode as the service sends them (the xtask's
//! post-processing, `xtask/src/postprocess.rs`): a field the documents call required that an
//! answer leaves out or sends as `null` decodes as its type's default instead of failing the
//! whole answer. Public for the generated code of `genauth-api` (our spec's types), not an API.

use serde::{Deserialize, Deserializer};

/// A required answer field: its value, or its type's default for `null` (and, with
/// `#[serde(default)]`, for a field left out).
pub fn or_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

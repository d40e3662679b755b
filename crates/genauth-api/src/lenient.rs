//! The lenient decoding of answer fields that the generated answer types of our spec use
//! (`#[serde(deserialize_with = "crate::lenient::or_default")]`): the same function as the
//! documents' types in `genauth-api-types`, so that the rule is written once.

pub(crate) use genauth_api_types::lenient::or_default;

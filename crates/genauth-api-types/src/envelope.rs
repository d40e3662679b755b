//! The V3 envelope, `{statusCode, message, apiCode?, requestId?}`, of every answer type of the
//! `/api/v3` operations: success is statusCode 200, whatever the HTTP status. The `genauth`
//! facade reads every V3 answer through [`Envelope`]. The documents' answers that are the
//! envelope around `data` and nothing more are aliases of the one generic [`Enveloped`] (one
//! `Deserialize` compiled instead of one per operation), and their pages of a list of [`Page`];
//! an envelope with more than that is its own struct, with its own impl of [`Envelope`] from
//! `cargo xtask generate`.

/// An answer in the V3 envelope.
pub trait Envelope {
    /// `statusCode`: 200 is success; anything else is a refusal (400, 401, 403, 404 ...).
    fn status_code(&self) -> i64;
    /// `message`: what the service says (empty when it said nothing).
    fn message(&self) -> &str;
    /// `apiCode`: the refusal's fine-grained code, when it has one.
    fn api_code(&self) -> Option<i64>;
    /// `requestId`: the service's id of the request, when it gave one.
    fn request_id(&self) -> Option<&str>;
}

/// The V3 envelope around an answer's `data`: the one type behind every answer of the
/// service's documents that is the envelope and nothing more (`types::UserPaginatedRespDto` is
/// `Enveloped<UserPagingDto>`), decoded as the service sends it: `data` and `message` left out
/// or `null` decode as their defaults, and `statusCode` stays required (it is what tells an
/// envelope from any other body).
#[derive(::serde::Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(bound(deserialize = "T: ::serde::Deserialize<'de> + Default"))]
pub struct Enveloped<T> {
    /// `apiCode`: the refusal's fine-grained code, when it has one.
    #[serde(rename = "apiCode", default)]
    pub api_code: Option<i64>,
    /// `data`: the answer itself.
    #[serde(default, deserialize_with = "crate::lenient::or_default")]
    pub data: T,
    /// `message`: what the service says.
    #[serde(default, deserialize_with = "crate::lenient::or_default")]
    pub message: String,
    /// `requestId`: the service's id of the request, when it gave one.
    #[serde(rename = "requestId", default)]
    pub request_id: Option<String>,
    /// `statusCode`: 200 is success.
    #[serde(rename = "statusCode")]
    pub status_code: i64,
}

impl<T> Envelope for Enveloped<T> {
    fn status_code(&self) -> i64 {
        self.status_code
    }
    fn message(&self) -> &str {
        &self.message
    }
    fn api_code(&self) -> Option<i64> {
        self.api_code
    }
    fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }
}

impl<T: Clone> From<&Enveloped<T>> for Enveloped<T> {
    fn from(value: &Enveloped<T>) -> Self {
        value.clone()
    }
}

/// A page of a list, `{list, totalCount}`: the one type behind every answer of the service's
/// documents that is a page and nothing more (`types::UserPagingDto` is `Page<UserDto>`),
/// decoded as the service sends it (`list` and `totalCount` left out or `null` decode as empty
/// and 0; `totalCount` is an integer, which the documents type `number`).
#[derive(::serde::Deserialize, Clone, Debug, PartialEq, Default)]
#[serde(bound(deserialize = "T: ::serde::Deserialize<'de>"))]
pub struct Page<T> {
    /// `list`: this page's items.
    #[serde(default, deserialize_with = "crate::lenient::or_default")]
    pub list: Vec<T>,
    /// `totalCount`: how many items all the pages hold.
    #[serde(
        rename = "totalCount",
        default,
        deserialize_with = "crate::lenient::or_default"
    )]
    pub total_count: i64,
}

impl<T: Clone> From<&Page<T>> for Page<T> {
    fn from(value: &Page<T>) -> Self {
        value.clone()
    }
}

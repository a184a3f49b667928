//! What the request pipeline ([`super::service`]) and a streamed body
//! ([`super::upload`]) both read from.

use bytes::Bytes;
use hyper::body::Body as HttpBody;

use crate::BoxError;

/// A request body the pipeline can read: hyper's, or a complete one handed in.
pub(crate) trait RequestBody:
    HttpBody<Data = Bytes, Error: Into<BoxError>> + Send + Unpin + 'static
{
}
impl<B: HttpBody<Data = Bytes, Error: Into<BoxError>> + Send + Unpin + 'static> RequestBody for B {}

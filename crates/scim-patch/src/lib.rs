//! RFC 7644 §3.5.2 PATCH operations.
#![deny(missing_docs)]

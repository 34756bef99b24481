//! The RFC 7644 SCIM filter and attribute path language.
#![deny(missing_docs)]

//! Classification of database errors into the core's `StoreError`.

use scim_core::ports::StoreError;
use sea_orm::{DbErr, SqlErr};

/// Maps a database error. Unique violations become `Conflict` on
/// `attribute`, detected by the driver's error code, never by message text.
pub(crate) fn classify(err: DbErr, attribute: &str) -> StoreError {
    if matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
        return StoreError::Conflict {
            attribute: attribute.to_owned(),
        };
    }
    backend(err)
}

/// Maps a database error where no uniqueness rule applies.
pub(crate) fn backend(err: DbErr) -> StoreError {
    match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => StoreError::Unavailable(Box::new(err)),
        other => StoreError::Backend(Box::new(other)),
    }
}

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

/// Maps a database error where no uniqueness rule applies. What a retry
/// may cure (no connection, a lost connection, lock contention, a
/// deadlock or serialization failure) is `Unavailable`, answered 503 with
/// `Retry-After`, which identity providers retry.
pub(crate) fn backend(err: DbErr) -> StoreError {
    if matches!(err, DbErr::ConnectionAcquire(_) | DbErr::Conn(_)) || transient(&err) {
        return StoreError::Unavailable(Box::new(err));
    }
    StoreError::Backend(Box::new(err))
}

/// Whether the driver reports a condition that passes: by error kind and
/// database error code, never by message text.
fn transient(err: &DbErr) -> bool {
    let (DbErr::Exec(sea_orm::RuntimeErr::SqlxError(e))
    | DbErr::Query(sea_orm::RuntimeErr::SqlxError(e))) = err
    else {
        return false;
    };
    use sea_orm::sqlx::Error as Sqlx;
    match e.as_ref() {
        Sqlx::Io(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed => true,
        Sqlx::Database(db) => db.code().is_some_and(|code| transient_code(&code)),
        _ => false,
    }
}

/// SQLite's SQLITE_BUSY and SQLITE_LOCKED with their extended codes (the
/// primary code is the low byte); the SQLSTATEs of a serialization failure
/// and a deadlock (PostgreSQL, MySQL/MariaDB) and PostgreSQL's
/// lock_not_available.
fn transient_code(code: &str) -> bool {
    match code.parse::<u32>() {
        Ok(n) if !code.starts_with('4') || code.len() < 5 => matches!(n & 0xff, 5 | 6),
        _ => matches!(code, "40001" | "40P01" | "55P03"),
    }
}

#[cfg(test)]
mod tests {
    use super::transient_code;

    #[test]
    fn busy_locked_deadlock_and_serialization_codes_are_transient() {
        for code in ["5", "6", "261", "517", "262", "40001", "40P01", "55P03"] {
            assert!(transient_code(code), "{code}");
        }
        for code in ["19", "2067", "1", "23505", "23000", "42P01", "HY000"] {
            assert!(!transient_code(code), "{code}");
        }
    }
}

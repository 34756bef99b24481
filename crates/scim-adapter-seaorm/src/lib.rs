//! SeaORM storage adapter for `scim-core`.
//!
//! [`SeaOrmStore`] implements the core's storage ports on SQLite (the
//! embedded default), PostgreSQL and MySQL/MariaDB, chosen by the database
//! URL at run time among the backends compiled in (cargo features `sqlite`,
//! `postgres`, `mysql`).
//!
//! Architecture invariant: SeaORM entities and `DbErr` never leave this
//! crate. Everything public speaks `scim-core` types.
//!
//! ```no_run
//! # async fn demo() -> Result<(), scim_core::ports::StoreError> {
//! use scim_adapter_seaorm::SeaOrmStore;
//!
//! let store = SeaOrmStore::connect("sqlite://scim.db?mode=rwc").await?;
//! store.migrate().await?;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

#[cfg(not(any(feature = "sqlite", feature = "postgres", feature = "mysql")))]
compile_error!("enable at least one backend feature: sqlite, postgres or mysql");

mod entity;
mod error;
mod index;
mod migration;
mod query;
mod store;
mod webhooks;

pub use migration::Migrator;
pub use store::{PoolStatus, SeaOrmStore, StoreOptions};

/// The examples of `README.md`, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

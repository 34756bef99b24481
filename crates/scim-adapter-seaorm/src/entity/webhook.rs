//! `scim_webhooks`: a tenant's webhooks with their delivery state and lease.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scim_webhooks")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) id: String,
    pub(crate) tenant_id: String,
    pub(crate) url: String,
    /// The signing key, in clear: signing needs it.
    pub(crate) secret: String,
    pub(crate) created_at: i64,
    pub(crate) disabled_at: Option<i64>,
    /// The sequence of the last event delivered.
    pub(crate) delivered_through: i64,
    pub(crate) next_attempt_at: i64,
    /// Consecutive failed attempts.
    pub(crate) attempts: i32,
    pub(crate) lease_owner: Option<String>,
    pub(crate) lease_until: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! `scim_credentials`: bearer tokens, stored as SHA-256 hashes only.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scim_credentials")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) id: String,
    pub(crate) tenant_id: String,
    pub(crate) token_hash: String,
    pub(crate) prefix: String,
    /// Microseconds since the Unix epoch, UTC, like every timestamp here.
    pub(crate) created_at: i64,
    pub(crate) revoked_at: Option<i64>,
    /// The instant the credential stops authenticating; NULL for never.
    pub(crate) expires_at: Option<i64>,
    /// The credential a rotated token replaces, until the rotation is
    /// confirmed by the token's first use.
    pub(crate) replaces: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

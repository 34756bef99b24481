//! `scim_jwt_trust`: external token issuers a tenant trusts.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scim_jwt_trust")]
pub(crate) struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub(crate) id: String,
    pub(crate) tenant_id: String,
    pub(crate) issuer: String,
    pub(crate) audience: String,
    /// Exactly one of `jwks_url` and `jwks_json` is set.
    pub(crate) jwks_url: Option<String>,
    pub(crate) jwks_json: Option<String>,
    pub(crate) created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub(crate) enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

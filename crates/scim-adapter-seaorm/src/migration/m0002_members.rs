//! Group memberships in their own table, so that changing k members costs
//! O(k) whatever the group's size.

use sea_orm_migration::prelude::*;

use super::{serial_key, table, tenant_fk};

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let mut table = table(backend, "scim_members");
        manager
            .create_table(
                table
                    .col(serial_key("id"))
                    .col(ColumnDef::new("tenant_id").string_len(36).not_null())
                    .col(ColumnDef::new("group_id").string_len(36).not_null())
                    .col(ColumnDef::new("member_id").string_len(36).not_null())
                    .col(ColumnDef::new("member_type").string_len(16).not_null())
                    .col(ColumnDef::new("created_at").big_integer().not_null())
                    .foreign_key(&mut tenant_fk("scim_members"))
                    .to_owned(),
            )
            .await?;
        // One row per (group, member); also the index for listing members.
        manager
            .create_index(
                Index::create()
                    .name("ux_scim_members_group_member")
                    .table("scim_members")
                    .col("group_id")
                    .col("member_id")
                    .unique()
                    .to_owned(),
            )
            .await?;
        // For a member's `groups` and for ending memberships on delete.
        manager
            .create_index(
                Index::create()
                    .name("ix_scim_members_member")
                    .table("scim_members")
                    .col("tenant_id")
                    .col("member_id")
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}

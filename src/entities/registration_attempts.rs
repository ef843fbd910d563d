//! The `registration_attempts` table. Registrations per client address, for throttling held in
//! the database (shared by every instance); old rows are pruned.

use sea_orm::entity::prelude::*;

super::model! {
    table "registration_attempts";
    pub ip: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

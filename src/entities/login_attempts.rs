//! The `login_attempts` table. Login attempts, for throttling held in the database (shared by every
//! instance). `email` is trimmed and lower-cased; no foreign key, as attempts may name unknown
//! emails.

use sea_orm::entity::prelude::*;

super::model! {
    table "login_attempts";
    pub email: String,
    pub ip: String,
    pub succeeded: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

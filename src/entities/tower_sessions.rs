//! The `tower_sessions` table. The session store of the SeaORM-backed tower-sessions store: `id` is
//! the session id text, `data` the encoded record, `expiry_date` when it lapses (indexed, for
//! deleting expired rows).

use sea_orm::entity::prelude::*;

super::model! {
    table "tower_sessions";
    #[sea_orm(column_type = "Blob")]
    pub data: Vec<u8>,
    pub expiry_date: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

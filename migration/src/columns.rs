//! Column shapes every table shares, so the conventions are written once.

use sea_orm_migration::{prelude::*, schema::*};

/// The primary key: a UUID v7 held as text (never auto-increment).
pub fn pk_id<T: IntoIden>(col: T) -> ColumnDef {
    string(col).primary_key().take()
}

/// A required foreign key column: text, like the ids it points to.
pub fn fk_id<T: IntoIden>(col: T) -> ColumnDef {
    string(col)
}

/// An optional foreign key column.
pub fn fk_id_null<T: IntoIden>(col: T) -> ColumnDef {
    string_null(col)
}

/// An enumerated value stored as a short string (`string_len 32`), mapped by `DeriveActiveEnum`.
pub fn enum_str<T: IntoIden>(col: T) -> ColumnDef {
    string_len(col, 32)
}

/// A required UTC timestamp.
pub fn ts<T: IntoIden>(col: T) -> ColumnDef {
    timestamp_with_time_zone(col)
}

/// An optional UTC timestamp.
pub fn ts_null<T: IntoIden>(col: T) -> ColumnDef {
    timestamp_with_time_zone_null(col)
}

/// Drops an index made with raw SQL; `IF EXISTS` so `down` also works after a partial `up`.
pub async fn drop_raw_index(manager: &SchemaManager<'_>, name: &str) -> Result<(), DbErr> {
    manager
        .get_connection()
        .execute_unprepared(&format!("DROP INDEX IF EXISTS {name}"))
        .await
        .map(|_| ())
}

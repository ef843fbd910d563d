//! SeaORM entities, one module per table (module name = table name), written against the
//! schema in `migration/`. Shared enumerations live in [`enums`]; [`prelude`] re-exports
//! every `Entity` under a readable name.

/// A table's `Model`: `table "name";` then its columns after the text `id` primary key every
/// table has. Columns pass through as written (with their `#[sea_orm(…)]` attributes); the
/// derives and camelCase JSON are the same for every table.
macro_rules! model {
    (table $table:tt; $($column:tt)*) => {
        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
        #[sea_orm(table_name = $table)]
        #[serde(rename_all = "camelCase")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: String,
            $($column)*
        }
    };
}
pub(crate) use model;

/// `impl Related<super::module::Entity> for Entity` through the named `Relation` variant, one
/// per pair: the same three lines for every relation of every table otherwise.
macro_rules! related {
    ($($module:ident => $relation:ident),+ $(,)?) => {
        $(
            impl Related<super::$module::Entity> for Entity {
                fn to() -> RelationDef {
                    Relation::$relation.def()
                }
            }
        )+
    };
}
pub(crate) use related;

/// The `Relation` enum of a table and its definitions, one line per relation:
/// `Variant: belongs_to module via FromColumn, on delete Action, named "fk_…";` (to the other
/// table's `Id`) or `Variant: has_many module;`. The same as SeaORM's `DeriveRelation`
/// attributes, without repeating five lines per foreign key.
macro_rules! relations {
    ($($variant:ident: $kind:ident $module:ident $(via $from:ident, on delete $action:ident, named $fk:literal)?;)+) => {
        #[derive(Copy, Clone, Debug, EnumIter)]
        pub enum Relation {
            $($variant),+
        }

        impl RelationTrait for Relation {
            fn def(&self) -> RelationDef {
                match self {
                    $(Self::$variant => super::relations!(@def $kind $module $(, $from, $action, $fk)?),)+
                }
            }
        }
    };
    (@def belongs_to $module:ident, $from:ident, $action:ident, $fk:literal) => {
        Entity::belongs_to(super::$module::Entity)
            .from(Column::$from)
            .to(super::$module::Column::Id)
            .on_delete(sea_orm::sea_query::ForeignKeyAction::$action)
            .fk_name($fk)
            .into()
    };
    (@def has_many $module:ident) => {
        Entity::has_many(super::$module::Entity).into()
    };
    (@def has_one $module:ident) => {
        Entity::has_one(super::$module::Entity).into()
    };
}
pub(crate) use relations;

pub mod enums;
pub mod prelude;

pub mod agent_access_requests;
pub mod agent_catalog;
pub mod agent_subscriptions;
pub mod api_keys;
pub mod api_usage_tracking;
pub mod deliveries;
pub mod error_logs;
pub mod license_alerts;
pub mod license_events;
pub mod license_top_ups;
pub mod login_attempts;
pub mod logs;
pub mod module_executions;
pub mod modules;
pub mod notification_preferences;
pub mod notifications;
pub mod organization_invitations;
pub mod organizations;
pub mod outbox_events;
pub mod registration_attempts;
pub mod resource_usage;
pub mod run_events;
pub mod subscription_member_usage;
pub mod tasks;
pub mod tower_sessions;
pub mod user_agent_licenses;
pub mod users;
pub mod webhook_endpoints;

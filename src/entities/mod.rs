//! SeaORM entities, one module per table (module name = table name), written against the
//! schema in `migration/`. Shared enumerations live in [`enums`]; [`prelude`] re-exports
//! every `Entity` under a readable name.

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

pub mod enums;
pub mod prelude;

pub mod agent_access_requests;
pub mod agent_catalog;
pub mod agent_subscriptions;
pub mod api_keys;
pub mod api_usage_tracking;
pub mod error_logs;
pub mod login_attempts;
pub mod logs;
pub mod module_executions;
pub mod modules;
pub mod notifications;
pub mod organizations;
pub mod resource_usage;
pub mod tasks;
pub mod tower_sessions;
pub mod user_agent_licenses;
pub mod users;

//! API keys: random text shown once, stored only as a SHA-256 hash with a short prefix.
//! A plain hash suffices: keys carry 256 bits of randomness, unlike passwords.

use std::collections::HashMap;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::actor::Actor;
use crate::audit::AuditEntry;
use crate::db::{find_by_id, find_or_404};
use crate::entities::{agent_catalog, api_keys, users};
use crate::error::{CoreError, CoreResult};
use crate::ids::new_id;
use crate::input::validate_expiry;
use crate::views::{api_key_view, ApiKeyView, CreatedKey};

pub const KEY_PREFIX: &str = "abk_";
/// 43 base62 characters carry 256 bits.
const RANDOM_CHARS: usize = 43;
const SHOWN_PREFIX_CHARS: usize = 12;
const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
pub const MAX_KEY_NAME_CHARS: usize = 100;

/// A fresh key text: `abk_` and 43 uniformly random base62 characters.
pub fn generate_key_text() -> String {
    let mut text = String::with_capacity(KEY_PREFIX.len() + RANDOM_CHARS);
    text.push_str(KEY_PREFIX);
    while text.len() < KEY_PREFIX.len() + RANDOM_CHARS {
        let mut byte = [0u8; 1];
        OsRng.fill_bytes(&mut byte);
        // Rejection sampling keeps every character equally likely (248 = 4 × 62).
        if byte[0] < 248 {
            text.push(BASE62[(byte[0] % 62) as usize] as char);
        }
    }
    text
}

pub fn hash_key(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

pub struct NewKey<'a> {
    pub name: &'a str,
    pub agent_id: Option<&'a str>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Creates a key for the actor and returns it with its text, which is never stored.
pub async fn create_key(
    db: &DatabaseConnection,
    actor: &Actor,
    new: NewKey<'_>,
) -> CoreResult<CreatedKey> {
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > MAX_KEY_NAME_CHARS || name.contains('\0') {
        return Err(CoreError::invalid(
            "name",
            format!("must be 1 to {MAX_KEY_NAME_CHARS} characters"),
        ));
    }
    validate_expiry(new.expires_at, Utc::now())?;
    // The scoped agent must exist; its name goes into the view.
    let agent_name = match new.agent_id {
        None => None,
        Some(agent_id) => {
            let agent = find_or_404::<agent_catalog::Entity>(db, agent_id, "agent").await?;
            Some(agent.name)
        }
    };
    let text = generate_key_text();
    let key = api_keys::ActiveModel {
        id: Set(new_id()),
        user_id: Set(actor.user_id.clone()),
        name: Set(name.to_owned()),
        prefix: Set(text[..SHOWN_PREFIX_CHARS].to_owned()),
        key_hash: Set(hash_key(&text)),
        agent_id: Set(new.agent_id.map(str::to_owned)),
        expires_at: Set(new.expires_at),
        last_used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    AuditEntry::of("api_key.create", "api_key", &key.id)
        .by(actor)
        .after(json!({ "name": key.name, "prefix": key.prefix, "agentId": key.agent_id }))
        .record(db)
        .await?;
    Ok(CreatedKey {
        key: api_key_view(key, agent_name, Utc::now()),
        secret: text,
    })
}

/// The actor's keys, newest first (revoked ones included, marked by `revoked_at`).
pub async fn list_keys(db: &DatabaseConnection, actor: &Actor) -> CoreResult<Vec<api_keys::Model>> {
    Ok(api_keys::Entity::find()
        .filter(api_keys::Column::UserId.eq(&actor.user_id))
        .order_by_desc(api_keys::Column::CreatedAt)
        .all(db)
        .await?)
}

/// The actor's keys as they see them, newest first, each with the name of the agent it is
/// scoped to (none when that agent is gone).
pub async fn key_views(db: &DatabaseConnection, actor: &Actor) -> CoreResult<Vec<ApiKeyView>> {
    let keys = list_keys(db, actor).await?;
    let scoped: Vec<&str> = keys.iter().filter_map(|k| k.agent_id.as_deref()).collect();
    let names: HashMap<String, String> = if scoped.is_empty() {
        HashMap::new()
    } else {
        agent_catalog::Entity::find()
            .filter(agent_catalog::Column::Id.is_in(scoped))
            .all(db)
            .await?
            .into_iter()
            .map(|agent| (agent.id, agent.name))
            .collect()
    };
    let now = Utc::now();
    Ok(keys
        .into_iter()
        .map(|key| {
            let agent_name = key.agent_id.as_ref().and_then(|id| names.get(id).cloned());
            api_key_view(key, agent_name, now)
        })
        .collect())
}

/// Revokes one of the actor's keys; another user's key reads as not found.
pub async fn revoke_key(db: &DatabaseConnection, actor: &Actor, key_id: &str) -> CoreResult<()> {
    let key = find_by_id::<api_keys::Entity>(db, key_id)
        .await?
        .filter(|k| k.user_id == actor.user_id)
        .ok_or(CoreError::NotFound { entity: "API key" })?;
    if key.revoked_at.is_some() {
        return Ok(());
    }
    let mut active = key.into_active_model();
    active.revoked_at = Set(Some(Utc::now()));
    let key = active.update(db).await?;
    AuditEntry::of("api_key.revoke", "api_key", &key.id)
        .by(actor)
        .record(db)
        .await?;
    Ok(())
}

/// How stale a key's "last used" may be: a key used again within it is not written again.
const LAST_USE_PRECISION: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

#[derive(Debug, PartialEq, Eq)]
pub enum KeyRejection {
    Unknown,
    Revoked,
    Expired,
    UserDisabled,
}

/// The key and its owner for a bearer text, or why it is refused.
pub async fn authenticate_key(
    db: &DatabaseConnection,
    text: &str,
) -> CoreResult<Result<(api_keys::Model, users::Model), KeyRejection>> {
    if !text.starts_with(KEY_PREFIX) || text.len() > 100 {
        return Ok(Err(KeyRejection::Unknown));
    }
    // The key and its owner in one read: this runs on every metered call.
    let Some((key, user)) = api_keys::Entity::find()
        .filter(api_keys::Column::KeyHash.eq(hash_key(text)))
        .find_also_related(users::Entity)
        .one(db)
        .await?
    else {
        return Ok(Err(KeyRejection::Unknown));
    };
    if key.revoked_at.is_some() {
        return Ok(Err(KeyRejection::Revoked));
    }
    let now = Utc::now();
    if key.expires_at.is_some_and(|at| at <= now) {
        return Ok(Err(KeyRejection::Expired));
    }
    let Some(user) = user else {
        return Ok(Err(KeyRejection::Unknown));
    };
    if user.disabled {
        return Ok(Err(KeyRejection::UserDisabled));
    }
    // Last use is advisory, shown to the minute: written at most once a minute per key, so a
    // busy key does not write its row on every call.
    if key
        .last_used_at
        .is_none_or(|at| now - at >= LAST_USE_PRECISION)
    {
        api_keys::Entity::update_many()
            .col_expr(
                api_keys::Column::LastUsedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(api_keys::Column::Id.eq(key.id.clone()))
            .exec(db)
            .await?;
    }
    Ok(Ok((key, user)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_texts_are_prefixed_base62_and_distinct() {
        let a = generate_key_text();
        let b = generate_key_text();
        assert!(a.starts_with("abk_"));
        assert_eq!(a.len(), 4 + 43);
        assert!(a[4..].bytes().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(a, b);
        assert_ne!(hash_key(&a), hash_key(&b));
    }
}

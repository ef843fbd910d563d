//! Password hashing with argon2id and explicit parameters. Async callers use the `_off_thread`
//! forms, which run on the few hashing threads of [`pool`]: each hash takes tens of
//! milliseconds and 19 MiB on purpose.

mod pool;

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::{CoreError, CoreResult};

/// OWASP's argon2id baseline: 19 MiB memory, 2 iterations, 1 lane.
fn hasher() -> CoreResult<Argon2<'static>> {
    let params =
        Params::new(19 * 1024, 2, 1, None).map_err(|e| CoreError::Hashing(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes `password` into a PHC string.
pub fn hash_password(password: &str) -> CoreResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| CoreError::Hashing(e.to_string()))?
        .to_string())
}

/// Whether `password` matches `phc_hash`. A malformed hash never matches.
pub fn verify_password(password: &str, phc_hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc_hash) else {
        return false;
    };
    match hasher() {
        Ok(h) => h.verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// [`hash_password`] on a hashing thread.
pub async fn hash_password_off_thread(password: String) -> CoreResult<String> {
    pool::run(move || hash_password(&password)).await?
}

/// [`verify_password`] on a hashing thread.
pub async fn verify_password_off_thread(password: String, phc_hash: String) -> CoreResult<bool> {
    pool::run(move || verify_password(&password, &phc_hash)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse battery!", &hash));
        assert!(!verify_password("anything", "not a hash"));
    }
}

//! Who is signed in, with their organisation: loaded once per page load and shared through
//! context.

use leptos::prelude::*;

use abetworks_types::teams::{CurrentOrganization, SessionView};
use abetworks_types::views::UserView;

use crate::api::auth::me;
use crate::error::AppError;

#[derive(Clone, Copy)]
pub struct Auth {
    pub session: Resource<Result<Option<SessionView>, AppError>>,
}

impl Auth {
    /// The signed-in user, or `None`.
    pub async fn user(self) -> Result<Option<UserView>, AppError> {
        Ok(self.session.await?.map(|session| session.user))
    }

    /// The signed-in user's organisation; `None` when nobody is signed in or it failed to load.
    pub async fn organization(self) -> Option<CurrentOrganization> {
        let session = self.session.await.ok().flatten()?;
        Some(session.organization)
    }
}

/// Creates the context; called once by `App`. Sign-in and sign-out reload the page.
pub fn provide_auth() -> Auth {
    let auth = Auth {
        session: Resource::new(|| (), |_| me()),
    };
    provide_context(auth);
    auth
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

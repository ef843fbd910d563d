//! Who is signed in, loaded once per page load and shared through context.

use leptos::prelude::*;

use abetworks_types::views::UserView;

use crate::api::auth::me;
use crate::error::AppError;

#[derive(Clone, Copy)]
pub struct Auth {
    pub user: Resource<Result<Option<UserView>, AppError>>,
}

/// Creates the context; called once by `App`. Sign-in and sign-out reload the page.
pub fn provide_auth() -> Auth {
    let auth = Auth {
        user: Resource::new(|| (), |_| me()),
    };
    provide_context(auth);
    auth
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

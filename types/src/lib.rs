//! The wire vocabulary of Abetworks: one set of types spoken by the core, the REST handlers,
//! the server functions and the browser. It compiles to WASM (serde, chrono and strum only);
//! the `db` feature adds the SeaORM derives the core needs to store the enums.

#[macro_use]
pub mod enums;
pub mod error;
pub mod inputs;
pub mod page;
#[macro_use]
pub mod views;
pub mod teams;

pub use enums::Vocabulary;
pub use error::{ConflictReason, ErrorBody, ErrorCode, FieldIssue};
pub use page::{Page, MAX_PAGE};

pub mod account;
pub mod admin;
pub mod auth;
pub mod marketplace;
pub mod my_agents;
pub mod my_requests;
pub mod not_found;
pub mod run;

pub mod marketplace;
pub mod not_found;

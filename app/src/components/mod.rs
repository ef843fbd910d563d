pub mod copy_button;
pub mod dialog;
pub mod feedback;
pub mod header;
pub mod json_view;
pub mod schema_form;
pub mod theme_toggle;
pub mod usage;

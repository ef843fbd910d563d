//! Opaque identifiers: UUID v7 text, so ids sort by creation time on every database.

/// A new opaque id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Whether `text` looks like one of our ids; lets callers answer 404/422 without a query.
pub fn is_valid_id(text: &str) -> bool {
    uuid::Uuid::parse_str(text).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_ids_are_valid_and_distinct() {
        let a = new_id();
        let b = new_id();
        assert!(is_valid_id(&a));
        assert_ne!(a, b);
    }

    #[test]
    fn text_that_is_not_an_id_is_rejected() {
        assert!(!is_valid_id("1; DROP TABLE users"));
        assert!(!is_valid_id(""));
    }
}

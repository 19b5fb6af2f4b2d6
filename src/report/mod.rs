//! Output formats for a [`crate::finding::Report`].

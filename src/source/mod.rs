//! Where blobs come from: the working tree, the index, history and push
//! ranges. Each source turns what it read into a [`crate::finding::Report`].

pub mod added;
pub mod cache_tree;
pub mod history;
pub mod index;
pub mod listing;
pub mod push;
pub mod worktree;

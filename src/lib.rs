//! tightlip finds credentials in git repositories: in the working tree, in
//! what is staged, in what a push adds and in every commit of history. It
//! also resolves DataJoint configuration the way DataJoint does, to tell
//! which committed files would feed a live database password.

pub mod cli;
pub mod cmd;
pub mod detect;
pub mod effective;
pub mod finding;
pub mod hook;
pub mod hygiene;
pub mod ignore_file;
pub mod logger;
pub mod report;
pub mod resolver;
pub mod rules;
pub mod source;

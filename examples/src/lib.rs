//! Example SDKs.

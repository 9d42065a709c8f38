use restrait::api;

#[api(base = "https://api.example.com")]
pub struct Users;

fn main() {}

use restrait::api;

pub struct Users;

#[api(base = "https://api.example.com")]
impl Users {}

fn main() {}

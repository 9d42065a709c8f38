use restrait::{api, get, Response, Result};

pub struct User {
    pub id: u64,
}

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users/<id>")]
    async fn user(&self, id: u64) -> Result<Response<Vec<User>>>;
}

fn main() {}

use restrait::{api, get, Result};

pub struct ApiError {
    pub message: String,
}

#[api(base = "https://api.example.com", error = ApiError)]
pub trait Users {
    #[get("/users/<id>")]
    async fn user(&self, id: u64) -> Result<()>;
}

fn main() {}

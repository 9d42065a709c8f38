use restrait::{api, get, Result};

#[api(base_env = "USERS_URL", client = UsersApi)]
pub trait Users {
    #[get("/users/<id>")]
    async fn user(&self, id: u64) -> Result<()>;
}

fn main() {
    // The client keeps its declared name, so this line adds no error of its own.
    let _ = UsersApi::builder();
}

// The macros work without imports, through their full paths, and in a private trait.
#![deny(unused_imports, dead_code)]

#[restrait::api(base = "https://api.example.com")]
trait Ping {
    #[restrait::get("/ping")]
    async fn ping(&self) -> restrait::Result<()>;

    #[restrait::delete("/ping/<id>")]
    async fn forget(&self, id: &str) -> restrait::Result<()>;
}

fn main() {
    let _ = PingClient::new().map(|c| {
        let _ = c.ping();
        let _ = c.forget("x");
    });
}

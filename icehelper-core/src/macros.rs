//! Macros the operations share.

/// `IntoFuture` for an operation builder whose `execute(self)` plans and executes: awaiting
/// the builder is the same as awaiting `execute()` (delta-rs' shape).
macro_rules! into_future {
    ($builder:ident => $output:ty) => {
        impl<'a> ::std::future::IntoFuture for $builder<'a> {
            type Output = $crate::error::Result<$output>;
            type IntoFuture = ::futures::future::BoxFuture<'a, Self::Output>;

            fn into_future(self) -> Self::IntoFuture {
                ::std::boxed::Box::pin(self.execute())
            }
        }
    };
}

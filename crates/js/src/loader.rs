//! Resolving and loading a bundle's modules: `import` specifiers are resolved against the
//! importing module (`./util.js` from `/app/logging.js` is `/app/util.js`) and loaded from the
//! bundle the current call runs, never from disk.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use rquickjs::loader::{ImportAttributes, Loader, Resolver};
use rquickjs::module::Declared;
use rquickjs::{Ctx, Error, Module};

use crate::bundle::{Bundle, module_key};

/// The bundle the thread's current call runs.
pub type CurrentBundle = Rc<RefCell<Option<Arc<Bundle>>>>;

/// `name` resolved against `base`; `None` if it climbs above the bundle's root.
pub fn resolve_specifier(base: &str, name: &str) -> Option<String> {
    if !(name.starts_with("./") || name.starts_with("../")) {
        return Some(module_key(name));
    }
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    parts.pop();
    for part in name.split('/') {
        match part {
            "." | "" => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

pub struct BundleResolver;

impl Resolver for BundleResolver {
    fn resolve<'js>(
        &mut self,
        _ctx: &Ctx<'js>,
        base: &str,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<String> {
        resolve_specifier(base, name).ok_or_else(|| Error::new_resolving(base, name))
    }
}

pub struct BundleLoader {
    pub bundle: CurrentBundle,
}

impl Loader for BundleLoader {
    fn load<'js>(
        &mut self,
        ctx: &Ctx<'js>,
        name: &str,
        _attributes: Option<ImportAttributes<'js>>,
    ) -> rquickjs::Result<Module<'js, Declared>> {
        let source = self
            .bundle
            .borrow()
            .as_ref()
            .and_then(|bundle| bundle.modules.get(name).cloned())
            .ok_or_else(|| Error::new_loading(name))?;
        Module::declare(ctx.clone(), name, source)
    }
}

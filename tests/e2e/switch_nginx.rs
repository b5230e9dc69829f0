//! switch_nginx

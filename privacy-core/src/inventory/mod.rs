//! The data inventory / record of processing (GDPR Art. 30) (not yet built).

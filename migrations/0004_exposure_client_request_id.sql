-- 0004_exposure_client_request_id: the caller's own X-Request-Id, kept beside our id.
--
-- An exposure is keyed by our request id (a fresh UUID per call, the response's `id`), so a caller
-- that reuses its X-Request-Id for many calls still gets one exposure per call. The caller's id is
-- kept here as a correlation field only (NULL when the call had none); it is not unique.
ALTER TABLE exposures ADD COLUMN client_request_id TEXT;
CREATE INDEX IF NOT EXISTS idx_exposures_client_request ON exposures (tenant, client_request_id);

-- 0005_exposure_ranked_total: how many ids the call served, when `ranked_ids` keeps only the top.
--
-- D1 refuses a value over its size limit, so an exposure keeps the longest prefix of the ranking
-- whose JSON fits (src/experiments/stored-ranking.ts). NULL: every served id is in `ranked_ids`.
ALTER TABLE exposures ADD COLUMN ranked_total INTEGER CHECK (ranked_total IS NULL OR ranked_total >= 0);

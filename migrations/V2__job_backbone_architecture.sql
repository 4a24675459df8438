-- the backbone's architecture name (a timm name for imported checkpoints), read from its header at submit
ALTER TABLE job ADD COLUMN backbone_arch TEXT;

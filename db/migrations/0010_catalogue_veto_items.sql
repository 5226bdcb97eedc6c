-- Catalogue rows seeded by earlier versions: the veto items' severity, and the two problems the
-- national indicators apply to websites too. Rows an administrator added are left alone.
UPDATE "problem_types" SET "severity" = 'veto'
  WHERE "code" IN ('columns_not_updated', 'no_recent_update', 'poor_interaction', 'menu_link_error');--> statement-breakpoint
UPDATE "problem_types" SET "applies_to" = 'any' WHERE "code" IN ('no_recent_update', 'poor_interaction');

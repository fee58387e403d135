-- The language a menu was shown in, so "choose a number from 1 to N" answers in it (issue #16).
ALTER TABLE chat_menus ADD COLUMN locale TEXT;

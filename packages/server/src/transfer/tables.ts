// Row types of the Transfer tables: access rules of guest collections.
export interface AccessRuleRow {
  /** the access_id, a UUID */
  id: string;
  /** the guest collection (= Transfer endpoint id) */
  collection_id: string;
  principal_type: string;
  /** identity or group id; '' for all_authenticated_users and anonymous */
  principal: string;
  /** collection-relative, normalised; a trailing `/` marks a directory */
  path: string;
  /** 'r' or 'rw' */
  permissions: string;
  notify_email: string | null;
  notify_message: string | null;
  /** epoch seconds (create_time) */
  created_at: number;
  /** epoch seconds (expiration_date); null: never */
  expires_at: number | null;
}

export interface TransferTables {
  transfer_access_rules: AccessRuleRow;
}

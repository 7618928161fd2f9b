/**
 * A notice's row as a statement of its own, for a caller that writes in one round trip (the
 * confirmation of an order on MySQL/MariaDB, see dispatch): columns of NotificationEntity.
 */
import type { Statement } from "../db/statement-batch";
import { placeholders } from "../db/transaction";
import type { NotificationEntity } from "./notification.entity";

const NOTICE_COLUMNS = "id, user_id, kind, message, actor_user_id, order_id, product_id, lab_id, shop_id, shop_group_id, created_at, read_at";
const NOTICE_MARKS = placeholders(12);

/**
 * For a batch (db/statement-batch): the notice's row, inserted only when the statement before it
 * changed exactly one row (MySQL/MariaDB's ROW_COUNT()). Chained after a conditional write and
 * after each other, a missed write inserts none of them.
 */
export function insertNoticeAfterOneRowStatement(n: NotificationEntity): Statement {
  return {
    sql: `INSERT INTO notifications (${NOTICE_COLUMNS}) SELECT ${NOTICE_MARKS} FROM DUAL WHERE ROW_COUNT() = 1`,
    params: [
      n.id,
      n.userId,
      n.kind,
      n.message,
      n.actorUserId,
      n.orderId,
      n.productId,
      n.labId,
      n.shopId,
      n.shopGroupId,
      n.createdAt.getTime(),
      n.readAt?.getTime() ?? null,
    ],
  };
}

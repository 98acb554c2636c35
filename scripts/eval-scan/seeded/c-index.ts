// Seeded variants (TypeScript, functions and a class): linear lookups repeated inside loops.
export interface Customer {
  readonly id: string
  readonly name: string
}

export interface Order {
  readonly orderId: number
  readonly customerId: string
  readonly total: number
}

export function customerNames(orders: ReadonlyArray<Order>, customers: ReadonlyArray<Customer>): Array<string> {
  const out: Array<string> = []
  for (const order of orders) {
    const customer = customers.find((c) => c.id === order.customerId) // expect: map-index
    out.push(customer ? customer.name : "unknown")
  }
  return out
}

export function withCustomer(orders: Array<Order>, customers: Array<Customer>): Array<Order & { customer: Customer | undefined }> {
  return orders.map((o) => ({ ...o, customer: customers.find((c) => o.customerId === c.id) })) // expect: map-index
}

export function columnPositions(header: ReadonlyArray<string>, wanted: ReadonlyArray<string>): Array<number> {
  const positions: Array<number> = []
  for (const name of wanted) positions.push(header.indexOf(name)) // expect: map-index
  return positions
}

export function projected(header: Array<string>, rows: ReadonlyArray<ReadonlyArray<string>>, wanted: ReadonlyArray<string>): Array<Array<string>> {
  return rows.map((row) => {
    const cells: Array<string> = []
    for (const name of wanted) {
      const at = header.indexOf(name) // expect: map-index
      cells.push(at < 0 ? "" : (row[at] ?? ""))
    }
    return cells
  })
}

export class Ledger {
  constructor(private readonly orders: ReadonlyArray<Order>) {}

  totals(customers: ReadonlyArray<Customer>, ids: ReadonlyArray<string>): number {
    let sum = 0
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]
      const customer = customers.find((c) => { // expect: map-index
        return c.id === id
      })
      if (customer) sum += this.orders.length
    }
    return sum
  }
}

export function totalsByOrder(orders: ReadonlyArray<Order>, orderIds: ReadonlyArray<number>): number {
  let sum = 0
  for (const orderId of orderIds) {
    const order = orders.find((o) => o.orderId === orderId) // expect: map-index
    if (order) sum += order.total
  }
  return sum
}

export function renamed(customers: Array<Customer>, ids: ReadonlyArray<string>): Array<string> {
  // `customers` is appended to inside the loop: an index built before the loop would miss the new element
  const out: Array<string> = []
  for (const id of ids) {
    const found = customers.find((c) => c.name === id) // unsafe: map-index
    if (!found) customers.push({ id, name: id })
    out.push(id)
  }
  return out
}

export function looseMatch(orders: ReadonlyArray<Order>, totals: ReadonlyArray<number>): number {
  // loose equality: `==` matches "5" with 5, a Map lookup would not
  let n = 0
  for (const t of totals) if (orders.find((o) => o.total == t)) n++ // unsafe: map-index
  return n
}

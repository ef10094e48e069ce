// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ReentrancyAttacker} from "./Recipients.sol";

/// @notice A malicious ERC-20: whenever the armed target sends tokens (transfer) or pulls them
/// (transferFrom), the token calls back into the target before moving the balance.
contract ReentrantToken is ERC20, ReentrancyAttacker {
    constructor() ERC20("Reentrant Token", "RET") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function transfer(address to, uint256 value) public override returns (bool) {
        if (msg.sender == target) _attack();
        return super.transfer(to, value);
    }

    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        if (msg.sender == target) _attack();
        return super.transferFrom(from, to, value);
    }
}
